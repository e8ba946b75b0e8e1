// PathText.swift — path text helpers that hold for every path (swift-corelibs-foundation's NSString.deletingLastPathComponent traps on a one-character path such as `-` or `o`).

extension String {
    /// The folder part of this path, as NSString's `deletingLastPathComponent` gives it: "" for a bare name,
    /// "/" for a name in the root, and trailing slashes ignored ("a/b/" → "a").
    var parentPath: String {
        var path = Substring(self)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        var parent = path[..<slash]
        while parent.count > 1 && parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }
}
