package io.converge.server.config;

/**
 * A user of the {@code users} list. Without {@code rules} the user may run everything
 * ({@code on >password ~* &* +@all}, as before ACL rules existed); with rules it starts as a new
 * Redis user (disabled, no permission), gets {@code password} if one is given, then the rules in
 * Redis's ACL SETUSER syntax, e.g. {@code "on ~cache:* +@read"}.
 *
 * @param name     the user name
 * @param password its password in clear, or null (then the rules must give one, or {@code nopass})
 * @param rules    ACL rules separated by spaces, or null
 */
public record UserSpec(String name, String password, String rules) {
    /** A user with a password who may run everything. */
    public UserSpec(String name, String password) {
        this(name, password, null);
    }
}
