public enum InetTLS {}
