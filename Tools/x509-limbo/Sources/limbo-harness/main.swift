// limbo-harness LIMBO.JSON [--strict]: runs every SERVER test case of x509-limbo through
// `TLSContext.evaluateServerChain` — the same roots, flags and name rules as an Inet client's
// handshake — and prints agree/disagree counts and each disagreement.
import Foundation
import InetTLS

struct Case {
    let id: String
    let trusted: [String], intermediates: [String], leaf: String
    let crls: [String]
    let name: String?
    let time: Int64?
    let expectSuccess: Bool
}

func der(_ pem: String) -> [UInt8] {
    let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    return Array(Data(base64Encoded: body) ?? Data())
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]),
      let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let testcases = top["testcases"] as? [[String: Any]] else {
    FileHandle.standardError.write(Data("usage: limbo-harness limbo.json [--strict]\n".utf8))
    exit(2)
}
let strict = arguments.contains("--strict")
let iso = ISO8601DateFormatter()
let directory = NSTemporaryDirectory() + "limbo-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

var (agree, disagree, skipped) = (0, 0, [String: Int]())
var disagreements: [String] = []
for raw in testcases {
    let id = raw["id"] as? String ?? "?"
    guard raw["validation_kind"] as? String == "SERVER" else { skipped["client-side case", default: 0] += 1; continue }
    var name: String?
    if let peer = raw["expected_peer_name"] as? [String: Any] {
        guard let kind = peer["kind"] as? String, kind == "DNS" || kind == "IP" else {
            skipped["peer name kind not DNS/IP", default: 0] += 1
            continue
        }
        name = peer["value"] as? String
    }
    let c = Case(id: id, trusted: raw["trusted_certs"] as? [String] ?? [], intermediates: raw["untrusted_intermediates"] as? [String] ?? [],
                 leaf: raw["peer_certificate"] as? String ?? "", crls: raw["crls"] as? [String] ?? [], name: name,
                 time: (raw["validation_time"] as? String).flatMap { iso.date(from: $0) }.map { Int64($0.timeIntervalSince1970) },
                 expectSuccess: raw["expected_result"] as? String == "SUCCESS")
    let roots = "\(directory)/roots.pem", crlPath = "\(directory)/crls.pem"
    try c.trusted.joined(separator: "\n").write(toFile: roots, atomically: true, encoding: .utf8)
    var credentials = SecurityCredentials(trustRootsFile: roots, trustRootsOnly: true, strictVerification: strict)
    if !c.crls.isEmpty {
        try c.crls.joined(separator: "\n").write(toFile: crlPath, atomically: true, encoding: .utf8)
        credentials.crlFile = crlPath
    }
    let verdict: String
    do {
        let context = try TLSContext(TLSConfiguration(role: .client, credentials: credentials))
        let error = context.evaluateServerChain([der(c.leaf)] + c.intermediates.map(der), serverName: c.name, at: c.time)
        verdict = error.map { "refused: \($0.description)" } ?? "accepted"
    } catch {
        verdict = "refused before verification: \(error.description)"
    }
    let accepted = verdict == "accepted"
    if accepted == c.expectSuccess {
        agree += 1
    } else {
        disagree += 1
        disagreements.append("\(id): expected \(c.expectSuccess ? "SUCCESS" : "FAILURE"), Inet \(verdict)")
    }
}
print("x509-limbo SERVER cases, strict=\(strict): agree \(agree), disagree \(disagree), skipped \(skipped)")
for line in disagreements.sorted() { print("  " + line) }
