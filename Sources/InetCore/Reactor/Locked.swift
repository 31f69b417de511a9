package import InetTLS

/// The package's lock (it lives in InetTLS, the lowest Swift module, so TLS state uses the
/// same sanitizer-visible pthread mutex).
package typealias Locked<Value> = InetTLS.Locked<Value>
