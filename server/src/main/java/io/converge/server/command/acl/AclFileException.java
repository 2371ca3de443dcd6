package io.converge.server.command.acl;

/** An ACL file that could not be read or has errors; the message is Redis's (all errors of the file on one line). */
final class AclFileException extends Exception {
    AclFileException(String message) {
        super(message, null, false, false);
    }
}
