package io.converge.server.util;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a secret (a password, the cluster secret) from a file, such as a mounted Kubernetes
 * Secret, so that it appears neither in a configuration file nor on a command line.
 */
public final class SecretFiles {
    private SecretFiles() {}

    /**
     * The file's text (UTF-8) without its trailing line breaks, which editors and
     * {@code echo > file} add; throws {@link IOException} saying why (with the file's name) when it
     * cannot be read or holds nothing.
     */
    public static String read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new IOException(file + ": permission denied", e);
        }
        int end = text.length();
        while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
            end--;
        }
        if (end == 0) {
            throw new IOException(file + ": empty");
        }
        return text.substring(0, end);
    }
}
