package io.converge.server.store.persist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * How the log opens the files it writes (segments and snapshots): the real file system, or in
 * tests one whose channels fail like a full or broken disk, so that the failure paths run
 * anywhere without mounting a small file system.
 */
@FunctionalInterface
public interface LogFiles {
    /** The real file system. */
    LogFiles SYSTEM = FileChannel::open;

    /** Opens {@code path} as {@link FileChannel#open(Path, OpenOption...)} does. */
    FileChannel open(Path path, OpenOption... options) throws IOException;
}
