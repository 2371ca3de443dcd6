package io.converge.server.cli;

import io.converge.server.node.Version;
import picocli.CommandLine.IVersionProvider;

/** Supplies {@code --version} output. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"converge " + Version.CONVERGE + " (Redis " + Version.REDIS_COMPATIBLE + " compatible)"};
    }
}
