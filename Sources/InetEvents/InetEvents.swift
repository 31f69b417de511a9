public import InetCore
