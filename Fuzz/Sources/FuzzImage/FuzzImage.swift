// FuzzImage.swift — libFuzzer target: PNG/JPEG bytes through ImageIO.decode (pixel limit 4 MP, so memory stays small).
import FuzzSupport

@main
enum Main {
    static func main() { runFuzzer { fuzzImageDecode($0, $1) } }
}
