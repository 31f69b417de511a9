import Foundation
import InetFuzzTargets

// The fuzz driver (issue 15). Built normally it replays inputs:
//   inet-fuzz TARGET FILE-OR-DIRECTORY...      (inet-fuzz list: the targets)
// Built by scripts/fuzz (-sanitize=fuzzer,address -DINET_LIBFUZZER) it is a libFuzzer binary
// for the target named by INET_FUZZ_TARGET, taking libFuzzer's flags.

#if INET_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target of this process (INET_FUZZ_TARGET).
nonisolated(unsafe) var fuzzTarget: FuzzTarget = .connector  // Safe: set once before the fuzzer starts.

/// libFuzzer's entry (also called by its own main when the linker picks that one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do throws(FuzzFailure) {
        try fuzzTarget.run(bytes)
    } catch {
        fatalError("inet-fuzz \(fuzzTarget.rawValue): \(error)")
    }
    return 0
}
#endif

@main struct Driver {
    static func main() {
        #if INET_LIBFUZZER
        guard let name = ProcessInfo.processInfo.environment["INET_FUZZ_TARGET"],
            let target = FuzzTarget(rawValue: name)
        else {
            fatalError("set INET_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        fuzzTarget = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, name != "list", let target = FuzzTarget(rawValue: name) else {
            print(FuzzTarget.allCases.map(\.rawValue).joined(separator: "\n"))
            exit(arguments.first == "list" ? 0 : 2)
        }
        var replayed = 0
        var failed = 0
        for path in arguments.dropFirst() {
            for file in Self.files(path) {
                replayed += 1
                let bytes = FileManager.default.contents(atPath: file).map { [UInt8]($0) } ?? []
                do throws(FuzzFailure) { try target.run(bytes) } catch {
                    failed += 1
                    print("FAIL \(file): \(error)")
                }
            }
        }
        print("inet-fuzz \(name): \(replayed) inputs replayed, \(failed) failed")
        exit(failed == 0 ? 0 : 1)
        #endif
    }

    static func files(_ path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
