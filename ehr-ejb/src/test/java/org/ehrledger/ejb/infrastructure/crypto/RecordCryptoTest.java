package org.ehrledger.ejb.infrastructure.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Record encryption and per-reader key wrapping. */
class RecordCryptoTest {

    private static final byte[] NOTE = "Patient reports chest pain; ECG normal.".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AAD = "record:r-1|patient:pat-7|category:NOTE".getBytes(StandardCharsets.UTF_8);

    @Test
    void aRecordDecryptsOnlyWithItsKeyAndItsOwnAssociatedData() {
        byte[] key = RecordCipher.newDataKey();
        byte[] sealed = RecordCipher.encrypt(key, NOTE, AAD);
        assertArrayEquals(NOTE, RecordCipher.decrypt(key, sealed, AAD));
        assertFalse(new String(sealed, StandardCharsets.ISO_8859_1).contains("chest"), "ciphertext hides the note");
        assertThrows(CryptoException.class, () -> RecordCipher.decrypt(RecordCipher.newDataKey(), sealed, AAD));
        assertThrows(CryptoException.class, () -> RecordCipher.decrypt(key, sealed,
                "record:r-2|patient:pat-7|category:NOTE".getBytes(StandardCharsets.UTF_8)), "moved to another record");
        byte[] tampered = sealed.clone();
        tampered[20] ^= 1;
        assertThrows(CryptoException.class, () -> RecordCipher.decrypt(key, tampered, AAD));
        assertThrows(CryptoException.class, () -> RecordCipher.decrypt(key, new byte[5], AAD));
    }

    @Test
    void aWrappedKeyOpensOnlyForItsReaderAndRecord() {
        UserKeys patient = UserKeys.generate();
        UserKeys doctor = UserKeys.generate();
        byte[] key = RecordCipher.newDataKey();
        byte[] context = "r-1".getBytes(StandardCharsets.UTF_8);

        KeyWrap.Wrapped forDoctor = KeyWrap.Wrapped.decode(
                KeyWrap.wrap(key, doctor.encryption().getPublic(), context).encode());
        assertArrayEquals(key, KeyWrap.unwrap(forDoctor, doctor.encryption().getPrivate(),
                doctor.encryption().getPublic(), context));
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(forDoctor, patient.encryption().getPrivate(),
                patient.encryption().getPublic(), context), "another reader");
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(forDoctor, doctor.encryption().getPrivate(),
                doctor.encryption().getPublic(), "r-2".getBytes(StandardCharsets.UTF_8)), "another record");
        byte[] altered = forDoctor.encode();
        altered[altered.length - 1] ^= 1;
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(KeyWrap.Wrapped.decode(altered),
                doctor.encryption().getPrivate(), doctor.encryption().getPublic(), context));
        assertThrows(CryptoException.class, () -> KeyWrap.Wrapped.decode(new byte[] {0, 0, 0, 1}));
    }
}
