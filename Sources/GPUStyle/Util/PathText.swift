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

    /// The last part of this path: the file's name ("a/b.png" → "b.png").
    var fileName: String { split(separator: "/").last.map(String.init) ?? self }

    /// A hidden file beside this path, `.NAME` + `suffix`, with at most 200 bytes of the name (cut on a character), so
    /// it fits NAME_MAX (255) whenever this path's name does.
    func hiddenSibling(suffix: String) -> String {
        let parent = parentPath
        return (parent.isEmpty ? "" : parent == "/" ? "/" : parent + "/") + "." + fileName.utf8Prefix(200) + suffix
    }

    /// The longest start of this text of at most `bytes` UTF-8 bytes that ends on a character boundary.
    func utf8Prefix(_ bytes: Int) -> String {
        var result = "", count = 0
        for character in self {
            count += character.utf8.count
            if count > bytes { break }
            result.append(character)
        }
        return result
    }
}
