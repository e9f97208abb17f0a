package org.ehrledger.consensus.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
 */
public final class FileConsensusLog implements ConsensusLog {

    private static final Logger LOG = Logger.getLogger(FileConsensusLog.class.getName());
    private static final int MAX_RECORD = 256 << 20;

    private final Path file;
    private final boolean sync;
    private final List<byte[]> durableAtOpen;
    private FileChannel channel;
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 20);

    /**
     * Opens (or creates) the log.
     *
     * @param file the log file; its directory is created if missing
     * @param sync whether {@link #flush()} forces data to the device (turn off only for throwaway tests)
     */
    public FileConsensusLog(Path file, boolean sync) {
        this.file = file;
        this.sync = sync;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            this.durableAtOpen = new ArrayList<>();
            long validEnd = 0;
            if (Files.exists(file)) {
                validEnd = scan(file, durableAtOpen);
            }
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            if (channel.size() > validEnd) {
                LOG.warning("consensus log " + file + ": cutting a torn tail of " + (channel.size() - validEnd) + " bytes");
                channel.truncate(validEnd);
            }
            channel.position(validEnd);
        } catch (IOException e) {
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
        if (buffer.position() == 0) {
            return;
        }
        try {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
            if (sync) {
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the consensus log " + file, e);
        }
    }

    @Override
    public synchronized List<byte[]> readAll() {
        return List.copyOf(durableAtOpen);
    }

    @Override
    public synchronized void rewrite(List<byte[]> records) {
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
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
            throw new UncheckedIOException("cannot compact the consensus log " + file, e);
        }
        try {
            channel.close();
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (sync) {
                // The rename itself must be durable, or a power loss could bring the old log back.
                try (FileChannel directory = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                    directory.force(true);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the compacted consensus log " + file, e);
        } finally {
            reopen();
        }
    }

    private void reopen() {
        try {
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
            channel.position(channel.size());
            buffer.clear();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the compacted consensus log " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            flush();
            channel.close();
        } catch (IOException | UncheckedIOException e) {
            LOG.warning("closing the consensus log " + file + ": " + e.getMessage());
        }
    }
}
