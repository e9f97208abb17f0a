package org.ehrledger.web.fhir;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One bulk export's NDJSON files, one per name (resource type), written to the replica's disk as the export
 * reads its patients, so that an export's content is never held in the heap beyond one chunk per file. A file is
 * unreadable on the disk: it is a sequence of chunks sealed with AES-256-GCM under a key of its own that exists
 * only in this object (a restart leaves files nobody can read, and they are removed when exports are next used);
 * a chunk's nonce is its number and its associated data says whether it is the last, so a chunk altered, dropped,
 * reordered or cut off fails the download ({@link #copy}) rather than returning altered lines. What all exports hold on disk is
 * bounded by a shared {@link Budget}.
 */
final class ExportFiles {

    /** Plain bytes per sealed chunk (and at most what one file holds in the heap while it is written). */
    static final int CHUNK = 64 * 1024;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Bytes on disk all exports of a table may hold together. */
    static final class Budget {
        private final long max;
        private final AtomicLong used = new AtomicLong();

        Budget(long max) {
            this.max = max;
        }

        /** Takes {@code n} bytes even beyond the budget (an export's error lines: at most one per patient and one more). */
        void force(long n) {
            used.addAndGet(n);
        }

        /** Takes {@code n} bytes, or none and false if that would pass the budget. */
        boolean take(long n) {
            long now;
            do {
                now = used.get();
                if (now + n > max) {
                    return false;
                }
            } while (!used.compareAndSet(now, now + n));
            return true;
        }

        void give(long n) {
            used.addAndGet(-n);
        }

        long used() {
            return used.get();
        }
    }

    /** Thrown by {@link #append} when the budget is spent: nothing of that line was written. */
    static final class Full extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Full() {
            super(null, null, false, false);
        }
    }

    /** One file: its key, the chunks sealed so far and the plain bytes not yet sealed. */
    private static final class File {
        final Path path;
        final SecretKeySpec key;
        final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        long chunks;
        long bytes;
        boolean sealed;

        File(Path path) {
            this.path = path;
            byte[] k = new byte[32];
            RANDOM.nextBytes(k);
            this.key = new SecretKeySpec(k, "AES");
        }
    }

    private final Path dir;
    private final Budget budget;
    private final Map<String, File> files = new HashMap<>();
    private long taken;
    private boolean deleted;

    /** Files in {@code dir} (made if missing, readable by this process's user alone), within {@code budget}. */
    ExportFiles(Path dir, Budget budget) {
        this.dir = dir;
        this.budget = budget;
    }

    /** Adds one line to the named file; {@link Full} when the budget has no room for it. */
    synchronized void append(String name, String line) {
        append(name, line, false);
    }

    /** Adds one line to the named file even if the budget has no room for it (an error line). */
    synchronized void force(String name, String line) {
        append(name, line, true);
    }

    private void append(String name, String line, boolean force) {
        if (deleted) {
            throw new IllegalStateException("export files deleted");
        }
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (force) {
            budget.force(bytes.length);
        } else if (!budget.take(bytes.length)) {
            throw new Full();
        }
        File f = files.computeIfAbsent(name, n -> new File(dir.resolve(n + ".ndjson.sealed")));
        if (f.sealed) {
            budget.give(bytes.length);
            throw new IllegalStateException(name + " is sealed");
        }
        taken += bytes.length;
        f.bytes += bytes.length;
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, CHUNK - f.pending.size());
            f.pending.write(bytes, at, n);
            at += n;
            if (f.pending.size() == CHUNK) {
                seal(f, false);
            }
        }
    }

    /** Seals every file's last chunk: the files are complete and can be read. */
    synchronized void finish() {
        if (deleted) {
            return;
        }
        for (File f : files.values()) {
            if (!f.sealed) {
                seal(f, true);
                f.sealed = true;
            }
        }
    }

    /** Whether the named file exists and is complete. */
    synchronized boolean has(String name) {
        File f = files.get(name);
        return !deleted && f != null && f.sealed;
    }

    /** Deletes the named file and gives its bytes back to the budget. */
    synchronized void discard(String name) {
        File f = files.remove(name);
        if (f != null) {
            delete(f.path);
            taken -= f.bytes;
            budget.give(f.bytes);
        }
    }

    /** Deletes every file and gives their bytes back to the budget; later appends fail. */
    synchronized void delete() {
        if (deleted) {
            return;
        }
        deleted = true;
        files.values().forEach(f -> delete(f.path));
        files.clear();
        delete(dir);
        budget.give(taken);
        taken = 0;
    }

    /**
     * Writes the named complete file's lines to {@code out}, opening one chunk at a time; an {@link IOException}
     * if the file on disk is not what was sealed (altered, cut off, reordered), after the chunks before it.
     */
    void copy(String name, OutputStream out) throws IOException {
        File f;
        synchronized (this) {
            f = has(name) ? files.get(name) : null;
        }
        if (f == null) {
            throw new IOException("no complete export file " + name);
        }
        try (DataInputStream in = new DataInputStream(Files.newInputStream(f.path))) {
            for (long n = 0; ; n++) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    throw new IOException("export file " + name + " is cut off after chunk " + n);
                }
                boolean last = in.readBoolean();
                if (length < TAG_BITS / 8 || length > CHUNK + TAG_BITS / 8) {
                    throw new IOException("export file " + name + " has a damaged chunk " + n);
                }
                byte[] sealed = in.readNBytes(length);
                if (sealed.length != length) {
                    throw new IOException("export file " + name + " is cut off in chunk " + n);
                }
                out.write(open(f, n, last, sealed, name));
                if (last) {
                    if (in.read() != -1) {
                        throw new IOException("export file " + name + " has bytes after its last chunk");
                    }
                    return;
                }
            }
        }
    }

    private void seal(File f, boolean last) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, f.key, new GCMParameterSpec(TAG_BITS, nonce(f.chunks)));
            c.updateAAD(new byte[] {(byte) (last ? 1 : 0)});
            byte[] sealed = c.doFinal(f.pending.toByteArray());
            ByteBuffer chunk = ByteBuffer.allocate(5 + sealed.length).putInt(sealed.length).put((byte) (last ? 1 : 0)).put(sealed);
            if (f.chunks == 0) {
                ownerOnly(dir);
            }
            Files.write(f.path, chunk.array(), StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            f.chunks++;
            f.pending.reset();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the export file " + f.path.getFileName(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    private static byte[] open(File f, long n, boolean last, byte[] sealed, String name) throws IOException {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, f.key, new GCMParameterSpec(TAG_BITS, nonce(n)));
            c.updateAAD(new byte[] {(byte) (last ? 1 : 0)});
            return c.doFinal(sealed);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IOException("export file " + name + " was altered on disk (chunk " + n + ")");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    private static byte[] nonce(long chunk) {
        return ByteBuffer.allocate(12).putInt(0).putLong(chunk).array();
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // A file left behind is sealed under a key that is gone with this object; it is removed when exports
            // are next used after a start.
        }
    }

    /** Removes a directory of export files left by an earlier run (their keys are gone): at start. */
    static void clear(Path root) {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(Comparator.reverseOrder()).forEach(ExportFiles::delete);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove old export files in " + root, e);
        }
    }

    /** Makes a directory (and its parents) if missing, readable by this process's user alone where the disk can say so. */
    static void ownerOnly(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
    }
}
