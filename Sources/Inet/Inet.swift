// One import for everything: `import Inet` gives the connector and connections (InetCore), TLS
// credentials and contexts (InetTLS), and delegates, the legacy adapter and the `Inet.*`
// functions (InetEvents).
@_exported import InetCore
@_exported import InetEvents
@_exported import InetTLS
