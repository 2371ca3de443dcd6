package io.converge.server.command.acl;

/** A rule that could not be applied, with Redis's description of why (e.g. {@code Syntax error}). */
final class AclRuleException extends Exception {
    AclRuleException(String message) {
        super(message, null, false, false);
    }
}
