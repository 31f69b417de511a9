/// TLS over the system OpenSSL (work in progress: the sans-IO engine lands with the TLS issue).
public enum InetTLS {}
