package io.converge.server;

/** Entry point of the Converge node (placeholder while the CLI is built). */
public final class Main {
    private Main() {}

    /** Starts the CLI. */
    public static void main(String[] args) {
        System.out.println("converge");
    }
}
