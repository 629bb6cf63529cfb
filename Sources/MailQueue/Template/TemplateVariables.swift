/// TemplateVariables finds the names a mustache template refers to, so a request's variables
/// can be checked against them (Nablarch silently sends `{name}` unreplaced; we refuse).
///
/// Only names outside any section must be given: inside `{{#items}}…{{/items}}` a name may
/// belong to each item. Every given variable must be used somewhere (as a name's first part).
enum TemplateVariables {
    /// The names used, each with whether it appears outside every section.
    struct Usage {
        var required: [String] = []
        var mentioned: Set<String> = []
    }

    static func scan(_ template: String) -> Usage {
        var usage = Usage()
        var depth = 0
        var rest = Substring(template)
        var open = "{{", close = "}}"
        while let start = rest.range(of: open) {
            rest = rest[start.upperBound...]
            var triple = false
            if open == "{{", rest.first == "{" { triple = true; rest = rest.dropFirst() }
            guard let end = rest.range(of: close) else { break }
            var tag = rest[..<end.lowerBound].trimmingSpaces
            rest = rest[end.upperBound...]
            if triple, rest.first == "}" { rest = rest.dropFirst() }
            guard let sigil = tag.first else { continue }
            switch sigil {
            case "!", ">", "%": continue
            case "=":
                // Set delimiters: {{=<% %>=}}.
                let parts = tag.dropFirst().dropLast().split(separator: " ")
                if parts.count == 2 { open = String(parts[0]); close = String(parts[1]) }
                continue
            case "/": depth = max(0, depth - 1); continue
            case "#", "^":
                tag = tag.dropFirst().trimmingSpaces
                record(tag, depth: depth, into: &usage)
                depth += 1
                continue
            case "&": tag = tag.dropFirst().trimmingSpaces
            default: break
            }
            record(tag, depth: depth, into: &usage)
        }
        return usage
    }

    private static func record(_ tag: Substring, depth: Int, into usage: inout Usage) {
        guard tag != "." else { return }
        let head = String(tag.split(separator: ".", maxSplits: 1).first ?? tag)
        // Transforms: `{{uppercased(name)}}` names `name`.
        let name = head.contains("(") ? String(head.split(whereSeparator: { "()".contains($0) }).last ?? "") : head
        usage.mentioned.insert(name)
        if depth == 0, !usage.required.contains(name) { usage.required.append(name) }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" || c == "\r" { s = s.dropLast() }
        return s
    }
}
