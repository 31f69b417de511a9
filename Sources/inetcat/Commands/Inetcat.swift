import ArgumentParser

/// The root command: `inetcat [options] HOST PORT`, `inetcat --listen PORT`, `inetcat demo`.
struct Inetcat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inetcat",
        abstract: "Connect, listen and pipe bytes over TCP or UDP with Inet.",
        subcommands: [NetCommand.self, DemoCommand.self],
        defaultSubcommand: NetCommand.self
    )
}
