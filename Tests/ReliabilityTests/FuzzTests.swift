import Glibc
import InetFuzzTargets
import Testing

/// A reproducible pseudo-random source (SplitMix64). The seed is printed; set INET_FUZZ_SEED to
/// replay a run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeded random inputs through every libFuzzer target (`Tests/Fuzz/InetFuzzTargets`), bounded
/// in count and time: beside the corpus replay (`FuzzCorpusTests`), inputs nobody has seen, in
/// every test run and under CI's sanitizers. (`scripts/fuzz` is the coverage-guided search.)
@Suite struct FuzzTests {
    static let seed: UInt64 = getenv("INET_FUZZ_SEED").flatMap { UInt64(String(cString: $0)) } ?? 0x1E7_F022
    static let budget: Duration = .seconds(1)

    static func random() -> SplitMix64 {
        print("FUZZ seed \(seed) (INET_FUZZ_SEED to replay)")
        return SplitMix64(state: seed)
    }

    @Test(arguments: FuzzTarget.allCases)
    func randomInputsKeepEveryPromise(_ target: FuzzTarget) {
        var rng = Self.random()
        // The first run makes what a target keeps (TLS contexts, test certificates): not timed.
        do throws(FuzzFailure) { try target.run([]) } catch {
            Issue.record("\(target.rawValue), empty input: \(error)")
        }
        let deadline = ContinuousClock.now + Self.budget
        var tried = 0
        while tried < 5_000, ContinuousClock.now < deadline {
            tried += 1
            let input = (0..<Int.random(in: 0...700, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do throws(FuzzFailure) { try target.run(input) } catch {
                Issue.record("\(target.rawValue), input \(tried) of seed \(Self.seed): \(error)")
                return
            }
        }
        print("FUZZ \(target.rawValue): \(tried) random inputs, every promise kept")
        #expect(tried >= 10)
    }
}
