// main.swift — the gpustyle command line.
import GPUStyle
print("gpustyle")
