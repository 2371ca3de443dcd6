package io.converge.server;

import io.converge.server.cli.RepairCli;
import io.converge.server.cli.StatusCli;
import io.converge.server.cli.ServerCli;
import io.converge.server.cli.UpCli;
import io.converge.server.cli.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the Converge node: {@code converge server|up|repair ...}. */
@Command(name = "converge", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Converge: a highly available, multi-master, Redis-compatible datastore built on CRDTs.",
        subcommands = {ServerCli.class, UpCli.class, RepairCli.class, StatusCli.class})
public final class Main implements Runnable {

    /** Runs the CLI and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit status (for tests). */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
