package org.ehrledger.consensus.testfwk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import org.ehrledger.consensus.log.FileConsensusLog;

/**
 * A disk that fails on command, for {@link FileConsensusLog}: hand {@link #opener()} to the log and arm
 * a torn write, a failed fsync or a failed open. The real file system does the work; faults fire by
 * countdown, never at random, so a harness can enumerate every write point of a run: count the
 * operations of a fault-free run with {@link #writes()}, {@link #forces()} and {@link #opens()}, then
 * repeat the run failing each one in turn.
 *
 * <p>Countdowns are shared by every channel this disk opened (the log, its compaction file and the
 * directory synced after a rename), count from the moment they are armed, and fire once. The model
 * assumes append-only files, as the log writes them.
 */
public final class FaultyDisk {

    /** What a failed fsync leaves of the bytes written to the file since its last successful fsync. */
    public enum UnsyncedData {
        /** They stay, as they would in the page cache while the machine keeps running. */
        KEPT,
        /** They are gone: the file is cut back to its size at the last successful fsync, as after a power loss. */
        LOST,
        /** The file keeps its size but those bytes read as zeros: its length reached the disk, its data did not. */
        ZEROED
    }

    private int writes;
    private int forces;
    private int opens;
    private int failuresInjected;

    /** Writes still allowed before the torn one; negative when no write fault is armed. */
    private int writeCountdown = -1;
    private int tornWriteBytes;
    private int forceCountdown = -1;
    private UnsyncedData forceLoses = UnsyncedData.LOST;
    private int openCountdown = -1;
    private boolean simulatedFsync;

    /** The opener to pass to {@link FileConsensusLog#FileConsensusLog(Path, boolean, FileConsensusLog.ChannelOpener)}. */
    public FileConsensusLog.ChannelOpener opener() {
        return this::open;
    }

    /**
     * Lets {@code writes} more writes through, then makes the next one write only the first
     * {@code bytesWritten} bytes of its buffer and throw (a torn write; a count at least the buffer's
     * size writes it all and still throws).
     */
    public synchronized void failWriteAfter(int writes, int bytesWritten) {
        if (writes < 0 || bytesWritten < 0) {
            throw new IllegalArgumentException("negative count: writes " + writes + ", bytes " + bytesWritten);
        }
        this.writeCountdown = writes;
        this.tornWriteBytes = bytesWritten;
    }

    /** Makes the next fsync fail, losing the bytes written since the last successful one. */
    public void failNextForce() {
        failForceAfter(0, UnsyncedData.LOST);
    }

    /** Makes the next fsync fail, leaving the unsynced bytes as {@code unsynced} says. */
    public void failNextForce(UnsyncedData unsynced) {
        failForceAfter(0, unsynced);
    }

    /** Lets {@code forces} more fsyncs through, then fails the next, leaving the unsynced bytes as {@code unsynced} says. */
    public synchronized void failForceAfter(int forces, UnsyncedData unsynced) {
        if (forces < 0) {
            throw new IllegalArgumentException("negative count: forces " + forces);
        }
        this.forceCountdown = forces;
        this.forceLoses = unsynced;
    }

    /** Lets {@code opens} more channel opens through, then fails the next one before it touches the file. */
    public synchronized void failOpenAfter(int opens) {
        if (opens < 0) {
            throw new IllegalArgumentException("negative count: opens " + opens);
        }
        this.openCountdown = opens;
    }

    /**
     * Makes a successful fsync only record what it would have made durable, without asking the device
     * (schedules of thousands of flushes stay fast; a failed fsync still loses what it would lose).
     */
    public synchronized FaultyDisk simulateFsync() {
        simulatedFsync = true;
        return this;
    }

    private synchronized boolean fsyncSimulated() {
        return simulatedFsync;
    }

    /** Cancels every armed fault that has not fired yet. */
    public synchronized void disarm() {
        writeCountdown = -1;
        forceCountdown = -1;
        openCountdown = -1;
    }

    /** Number of write calls attempted through this disk, failed ones included. */
    public synchronized int writes() {
        return writes;
    }

    /** Number of fsyncs ({@code force}) attempted through this disk, failed ones included. */
    public synchronized int forces() {
        return forces;
    }

    /** Number of channel opens attempted through this disk, failed ones included. */
    public synchronized int opens() {
        return opens;
    }

    /** Number of faults that fired, so a harness can tell an armed fault from one the run never reached. */
    public synchronized int failuresInjected() {
        return failuresInjected;
    }

    /** Counts a write; the number of bytes it may write before failing, or -1 if it succeeds. */
    private synchronized int nextWrite() {
        writes++;
        if (writeCountdown < 0) {
            return -1;
        }
        if (writeCountdown-- > 0) {
            return -1;
        }
        failuresInjected++;
        return tornWriteBytes;
    }

    /** Counts an fsync; what it leaves of unsynced data if it fails, or null if it succeeds. */
    private synchronized UnsyncedData nextForce() {
        forces++;
        if (forceCountdown < 0 || forceCountdown-- > 0) {
            return null;
        }
        failuresInjected++;
        return forceLoses;
    }

    /** Counts an open; whether it fails. */
    private synchronized boolean nextOpenFails() {
        opens++;
        if (openCountdown < 0 || openCountdown-- > 0) {
            return false;
        }
        failuresInjected++;
        return true;
    }

    private FileChannel open(Path path, OpenOption... options) throws IOException {
        if (nextOpenFails()) {
            throw new IOException("injected failure opening " + path);
        }
        boolean writable = Arrays.asList(options).contains(StandardOpenOption.WRITE)
                || Arrays.asList(options).contains(StandardOpenOption.APPEND);
        return new FaultyChannel(FileChannel.open(path, options), writable);
    }

    /** A channel that passes everything to the real one, except the faults its disk is armed with. */
    private final class FaultyChannel extends FileChannel {

        private final FileChannel real;
        private final boolean writable;
        /** File size at the last successful fsync (or at open): what survives a {@link UnsyncedData#LOST}. */
        private long syncedSize;

        FaultyChannel(FileChannel real, boolean writable) throws IOException {
            this.real = real;
            this.writable = writable;
            this.syncedSize = writable ? real.size() : 0;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int allowed = nextWrite();
            if (allowed < 0) {
                return real.write(src);
            }
            int total = src.remaining();
            int written = writePrefix(src, allowed, -1);
            throw tornWrite(written, total);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int allowed = nextWrite();
            if (allowed < 0) {
                return real.write(src, position);
            }
            int total = src.remaining();
            int written = writePrefix(src, allowed, position);
            throw tornWrite(written, total);
        }

        /** A gathering write counts as one write; a torn one writes a prefix across the buffers. */
        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            int allowed = nextWrite();
            if (allowed < 0) {
                return real.write(srcs, offset, length);
            }
            long total = 0;
            long written = 0;
            for (int i = offset; i < offset + length; i++) {
                total += srcs[i].remaining();
            }
            for (int i = offset; i < offset + length && written < allowed; i++) {
                written += writePrefix(srcs[i], (int) (allowed - written), -1);
            }
            throw tornWrite(written, total);
        }

        /** Writes the first {@code max} bytes of {@code src} for real (at {@code position} unless negative). */
        private int writePrefix(ByteBuffer src, int max, long position) throws IOException {
            int n = Math.min(max, src.remaining());
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + n);
            while (part.hasRemaining()) {
                if (position < 0) {
                    real.write(part);
                } else {
                    real.write(part, position + (part.position() - src.position()));
                }
            }
            src.position(part.position());
            return n;
        }

        private IOException tornWrite(long written, long total) {
            return new IOException("injected torn write: " + written + " of " + total + " bytes reached the file");
        }

        @Override
        public void force(boolean metaData) throws IOException {
            UnsyncedData failure = nextForce();
            if (failure == null) {
                if (!fsyncSimulated()) {
                    real.force(metaData);
                }
                if (writable) {
                    syncedSize = real.size();
                }
                return;
            }
            // A directory has no unsynced bytes to lose here; the rename it would have made durable stays.
            if (writable) {
                long size = real.size();
                if (failure == UnsyncedData.LOST && size > syncedSize) {
                    real.truncate(syncedSize);
                } else if (failure == UnsyncedData.ZEROED && size > syncedSize) {
                    ByteBuffer zeros = ByteBuffer.allocate((int) (size - syncedSize));
                    long at = syncedSize;
                    while (zeros.hasRemaining()) {
                        at += real.write(zeros, at);
                    }
                }
            }
            throw new IOException("injected fsync failure (unsynced data " + failure + ")");
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            syncedSize = Math.min(syncedSize, size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) {
            throw new UnsupportedOperationException("transferFrom would bypass the injected write faults");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            if (mode == MapMode.READ_WRITE) {
                throw new UnsupportedOperationException("a writable mapping would bypass the injected write faults");
            }
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
