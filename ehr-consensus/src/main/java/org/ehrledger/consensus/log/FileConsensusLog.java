package org.ehrledger.consensus.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

import org.ehrledger.consensus.api.ConsensusLog;

/**
 * A write-ahead log in one file: each record is {@code length, CRC32C, bytes}. {@link #flush()} writes
 * the buffered records and forces them to disk; a torn tail left by a crash is detected by its
 * checksum and cut off at the next start. Compaction writes a new file and renames it atomically.
 *
 * <p>A failed write, fsync or compaction fails the log for good: that call throws
 * {@link UncheckedIOException} and every later write throws {@link IllegalStateException} without touching
 * the file. A write that failed part-way leaves unknown bytes behind the position, and after a failed
 * fsync the kernel may already have dropped the dirty pages, so a retry could report durable what is not.
 * The replica must restart instead: the durable part of the file is read back, and a torn tail cut off.
 */
public final class FileConsensusLog implements ConsensusLog {

    private static final Logger LOG = Logger.getLogger(FileConsensusLog.class.getName());
    private static final int MAX_RECORD = 256 << 20;

    private final Path file;
    private final boolean sync;
    private final ChannelOpener opener;
    /** The records found at start-up, for {@link #readAll()}; let go at the first compaction (they can be tens of MB). */
    private final List<byte[]> durableAtOpen;
    /** The channel appended to; null while a compaction swaps files and after a failure. */
    private FileChannel channel;
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    /** What failed, once something did; from then on nothing is written. */
    private String failure;
    private IOException failureCause;

    /** Opens the files of the log; a test passes one that injects disk faults. */
    @FunctionalInterface
    public interface ChannelOpener {

        /** Opens a channel on {@code path}, as {@link FileChannel#open(Path, OpenOption...)} does. */
        FileChannel open(Path path, OpenOption... options) throws IOException;
    }

    /**
     * Opens (or creates) the log.
     *
     * @param file the log file; its directory is created if missing
     * @param sync whether {@link #flush()} forces data to the device (turn off only for throwaway tests)
     */
    public FileConsensusLog(Path file, boolean sync) {
        this(file, sync, FileChannel::open);
    }

    /**
     * Opens (or creates) the log, opening its files through {@code opener}.
     *
     * @param file the log file; its directory is created if missing
     * @param sync whether {@link #flush()} forces data to the device (turn off only for throwaway tests)
     * @param opener opens the log, its compaction file and its directory (a fault-injecting one in tests)
     */
    public FileConsensusLog(Path file, boolean sync, ChannelOpener opener) {
        this.file = file;
        this.sync = sync;
        this.opener = opener;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.durableAtOpen = new ArrayList<>();
            long validEnd = 0;
            if (Files.exists(file)) {
                validEnd = scan(file, durableAtOpen);
            }
            channel = opener.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            if (channel.size() > validEnd) {
                LOG.warning("consensus log " + file + ": cutting a torn tail of " + (channel.size() - validEnd) + " bytes");
                channel.truncate(validEnd);
            }
            channel.position(validEnd);
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new UncheckedIOException("cannot open the consensus log " + file, e);
        }
    }

    private static long scan(Path file, List<byte[]> out) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer in = ByteBuffer.wrap(all);
        long validEnd = 0;
        while (in.remaining() >= 8) {
            int len = in.getInt();
            int crc = in.getInt();
            if (len < 0 || len > MAX_RECORD || len > in.remaining()) {
                break;
            }
            byte[] record = new byte[len];
            in.get(record);
            if (checksum(len, record) != crc) {
                break;
            }
            out.add(record);
            validEnd = in.position();
        }
        return validEnd;
    }

    /** CRC32C over the length and the bytes, seeded so that a zero-filled tail never checks out. */
    private static int checksum(int length, byte[] record) {
        CRC32C c = new CRC32C();
        c.update(new byte[] {(byte) 0xE4, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8),
            (byte) length});
        c.update(record);
        return (int) c.getValue();
    }

    @Override
    public synchronized void append(byte[] record) {
        checkNotFailed();
        int needed = 8 + record.length;
        if (buffer.remaining() < needed) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + needed));
            buffer.flip();
            bigger.put(buffer);
            buffer = bigger;
        }
        buffer.putInt(record.length).putInt(checksum(record.length, record)).put(record);
    }

    @Override
    public synchronized void flush() {
        checkNotFailed();
        if (buffer.position() == 0) {
            return;
        }
        int pending = buffer.position();
        buffer.flip();
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            throw fail("the write of " + pending + " buffered bytes failed after " + buffer.position()
                    + " of them had been handed to the file", e);
        }
        buffer.clear();
        if (sync) {
            try {
                channel.force(false);
            } catch (IOException e) {
                throw fail("the fsync after writing " + pending + " bytes failed", e);
            }
        }
    }

    @Override
    public synchronized List<byte[]> readAll() {
        return List.copyOf(durableAtOpen);
    }

    @Override
    public synchronized void rewrite(List<byte[]> records) {
        checkNotFailed();
        durableAtOpen.clear();
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        try (FileChannel out = opener.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (byte[] record : records) {
                ByteBuffer b = ByteBuffer.allocate(8 + record.length);
                b.putInt(record.length).putInt(checksum(record.length, record)).put(record).flip();
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
            out.force(true);
        } catch (IOException e) {
            throw fail("writing the compacted log " + tmp + " failed; the old log is still in place", e);
        }
        buffer.clear();
        // Never write the old channel again: after the rename it points to an unlinked file, and whatever
        // went there would vanish while flush() reported it durable.
        FileChannel old = channel;
        channel = null;
        try {
            old.close();
        } catch (IOException e) {
            throw fail("closing the log before installing the compacted one failed; the old log is still in place", e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw fail("renaming " + tmp + " over the log failed; the old log is still in place", e);
        }
        if (sync) {
            // The rename itself must be durable, or a power loss could bring the old log back.
            try (FileChannel directory = opener.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                directory.force(true);
            } catch (IOException e) {
                throw fail("the fsync of the directory after renaming in the compacted log failed; "
                        + "after a power loss the old log may be back", e);
            }
        }
        try {
            channel = opener.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
            channel.position(channel.size());
        } catch (IOException e) {
            throw fail("reopening the log after installing the compacted one failed", e);
        }
    }

    /** Refuses any write once the log has failed, so nothing is ever written over a failed write. */
    private void checkNotFailed() {
        if (failure != null) {
            throw new IllegalStateException("consensus log " + file + " failed earlier: " + failure
                    + "; restart the replica, it recovers from the durable part of its log", failureCause);
        }
    }

    /**
     * Fails the log for good: records what failed, drops the buffer and closes the channel, so no later
     * call can retry over bytes of unknown state.
     */
    private UncheckedIOException fail(String what, IOException cause) {
        failure = what + " (" + cause + ")";
        failureCause = cause;
        buffer = ByteBuffer.allocate(0);
        closeQuietly(channel, cause);
        channel = null;
        return new UncheckedIOException("consensus log " + file + ": " + failure
                + "; it accepts no more writes, restart the replica", cause);
    }

    private static void closeQuietly(FileChannel c, IOException failure) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public synchronized void close() {
        if (failure != null) {
            return; // the channel was closed when the log failed, and nothing may be flushed now
        }
        try {
            flush();
            channel.close();
        } catch (IOException | UncheckedIOException e) {
            LOG.warning("closing the consensus log " + file + ": " + e.getMessage());
        }
    }
}
