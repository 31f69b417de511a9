import Glibc
import Testing
@testable import InetCore

@Suite struct InetErrorTests {
    @Test func winsockNumbersAreTheOnesLegacyCallersTest() {
        let expected: [(InetErrorCode, UInt32)] = [
            (.wouldBlock, 10035), (.inProgress, 10036), (.permissionDenied, 10013), (.invalidArgument, 10022),
            (.tooManyOpenFiles, 10024), (.addressInUse, 10048), (.addressNotAvailable, 10049),
            (.networkUnreachable, 10051), (.connectionAborted, 10053), (.connectionReset, 10054),
            (.notConnected, 10057), (.timedOut, 10060), (.connectionRefused, 10061), (.hostUnreachable, 10065),
            (.hostNotFound, 11001), (.tryAgain, 11002),
        ]
        for (code, number) in expected { #expect(code.legacyCode == number, "\(code)") }
    }

    @Test func lowSixteenBitsAreDistinctAcrossAllCodes() {
        let low = InetErrorCode.allCases.map { $0.legacyCode & 0xFFFF }
        #expect(Set(low).count == low.count)
        for code in InetErrorCode.allCases { #expect(InetErrorCode(legacyCode: code.legacyCode) == code) }
    }

    @Test func errnoMapsToItsCode() {
        #expect(InetErrorCode(errno: ECONNREFUSED) == .connectionRefused)
        #expect(InetErrorCode(errno: ETIMEDOUT) == .timedOut)
        #expect(InetErrorCode(errno: EADDRINUSE) == .addressInUse)
        #expect(InetErrorCode(errno: EADDRNOTAVAIL) == .addressNotAvailable)
        #expect(InetErrorCode(errno: EMFILE) == .tooManyOpenFiles)
        #expect(InetErrorCode(errno: ECONNRESET) == .connectionReset)
        #expect(InetErrorCode(errno: EPIPE) == .connectionAborted)  // WSAECONNABORTED, as Winsock reports it
        #expect(InetErrorCode(errno: EAGAIN) == .wouldBlock)
        #expect(InetErrorCode(errno: EHOSTUNREACH) == .hostUnreachable)
        #expect(InetErrorCode(errno: ENETUNREACH) == .networkUnreachable)
        #expect(InetErrorCode(errno: EACCES) == .permissionDenied)
        #expect(InetErrorCode(errno: 99_999) == .systemError)
    }

    @Test func systemErrorNamesTheCallAndTheReason() {
        let error = InetError.system("connect to 127.0.0.1:1", errno: ECONNREFUSED)
        #expect(error.code == .connectionRefused)
        #expect(error.systemErrno == ECONNREFUSED)
        #expect(error.message.contains("connect to 127.0.0.1:1"))
        #expect(error.message.contains("refused"))
    }
}
