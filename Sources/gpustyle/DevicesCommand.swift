// DevicesCommand.swift — `gpustyle devices`: every OpenCL platform and device, with the index --device takes.
import ArgumentParser
import Foundation
import GPUStyle

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List OpenCL platforms and devices.")

    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let devices = try OpenCLDevices.list()
        if json {
            let rows: [[String: Any]] = devices.map {
                var row: [String: Any] = [
                    "index": $0.index, "platform": $0.platformName, "name": $0.name, "type": $0.type.rawValue,
                    "global_memory_bytes": $0.globalMemoryBytes, "max_allocation_bytes": $0.maxAllocationBytes,
                    "driver": $0.driverVersion, "opencl_c": $0.openCLCVersion, "compute_units": $0.computeUnits]
                if let capability = $0.computeCapabilityName { row["compute_capability"] = capability }
                return row
            }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !devices.isEmpty else {
            print("No OpenCL platform found: gpustyle will use its CPU backend. (Install a GPU driver's OpenCL ICD, or pocl-opencl-icd for OpenCL on the CPU.)")
            return
        }
        for d in devices {
            print("[\(d.index)] \(d.name) — \(d.type.rawValue), \(d.platformName)")
            print("    memory \(formatBytes(d.globalMemoryBytes)), max allocation \(formatBytes(d.maxAllocationBytes)), \(d.computeUnits) compute units")
            print("    driver \(d.driverVersion), \(d.openCLCVersion)")
            if let capability = d.computeCapability, let name = d.computeCapabilityName {
                let tensor = capability >= GemmPrecision.minimumComputeCapability ? "--precision tf32x3|tf32 available" : "no TF32 tensor cores (--precision fp32 only)"
                print("    compute capability \(name): \(tensor)")
            }
        }
        let auto = OpenCLDevices.defaultIndex(in: devices).flatMap { devices[$0].type == .gpu ? "device \($0)" : nil }
            ?? "the CPU backend (no OpenCL GPU)"
        print("--backend auto would use \(auto).")
    }
}

/// "1.5 GiB".
func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
