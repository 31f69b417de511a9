import Foundation
import InetFuzzTargets
import Testing

/// Replays the libFuzzer corpus (`Tests/Fuzz/Corpus/<target>/`, grown by `scripts/fuzz` and
/// holding every crash found as a regression input) through each target: seconds, in every test
/// run, under CI's sanitizer runs too.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus")

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplaysClean(_ target: FuzzTarget) throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count >= 3, "the \(target.rawValue) corpus has \(names.count) inputs")
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            do throws(FuzzFailure) { try target.run(bytes) } catch {
                Issue.record("\(target.rawValue)/\(name): \(error)")
            }
        }
        print("FUZZ corpus \(target.rawValue): \(names.count) inputs replayed")
    }

    /// FuzzInput reads as documented: as few bytes as a range needs, zeros past the end (so an
    /// empty input is a whole run of every target).
    @Test func fuzzInputReadsAsDocumented() throws {
        var input = FuzzInput([0x01, 0xFF, 0xFF, 0x07])
        #expect(input.int(in: 0...1) == 1)
        #expect(input.int(in: 0...65_535) == 0xFFFF)
        #expect(input.pick(["a", "b", "c"]) == "b")  // 7 % 3
        #expect(input.isEmpty)
        #expect(input.int(in: 5...9) == 5)
        #expect(input.bytes(upTo: 10) == [])
        for target in FuzzTarget.allCases {
            #expect(throws: Never.self) { try target.run([]) }
        }
    }
}
