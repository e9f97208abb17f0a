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

    @Test
    void oneSendersWrapsOpenEachForItsOwnReaderAloneAndShareNoKeyEncryptionKey() {
        UserKeys patient = UserKeys.generate();
        UserKeys doctor = UserKeys.generate();
        byte[] key = RecordCipher.newDataKey();
        byte[] context = "r-2".getBytes(StandardCharsets.UTF_8);
        KeyWrap.Sender sender = KeyWrap.sender();
        KeyWrap.Wrapped forPatient = KeyWrap.Wrapped.decode(sender.wrap(key, patient.encryption().getPublic(), context).encode());
        KeyWrap.Wrapped forDoctor = KeyWrap.Wrapped.decode(sender.wrap(key, doctor.encryption().getPublic(), context).encode());

        assertArrayEquals(forPatient.ephemeralPublic(), forDoctor.ephemeralPublic(), "one ephemeral key per record");
        assertArrayEquals(key, KeyWrap.unwrap(forPatient, patient.encryption().getPrivate(), patient.encryption().getPublic(), context));
        assertArrayEquals(key, KeyWrap.unwrap(forDoctor, doctor.encryption().getPrivate(), doctor.encryption().getPublic(), context));
        // the patient cannot open the doctor's wrap with their own key, nor with the doctor's public key in the salt
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(forDoctor, patient.encryption().getPrivate(),
                patient.encryption().getPublic(), context));
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(forDoctor, patient.encryption().getPrivate(),
                doctor.encryption().getPublic(), context));
        // the doctor's wrap, moved under the patient's nonce and ciphertext slot, does not open for the patient
        KeyWrap.Wrapped swapped = new KeyWrap.Wrapped(forPatient.ephemeralPublic(), forDoctor.nonce(), forDoctor.ciphertext());
        assertThrows(CryptoException.class, () -> KeyWrap.unwrap(swapped, patient.encryption().getPrivate(),
                patient.encryption().getPublic(), context));
        assertFalse(java.util.Arrays.equals(forPatient.nonce(), forDoctor.nonce()), "a fresh nonce per wrap");
    }
}
