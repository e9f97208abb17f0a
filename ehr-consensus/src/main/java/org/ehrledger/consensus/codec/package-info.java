/**
 * The canonical binary codec, version 1, and the hashes built on it: frozen. Ledger blocks are hashed with
 * it and the consensus messages are signed with it, so its bytes must never change; {@code CodecVectorsTest}
 * (fixed inputs, fixed hex bytes and hashes) fails on any change. A new encoding is a new version beside
 * this one, never an edit of it.
 *
 * <ul>
 * <li>{@link org.ehrledger.consensus.codec.Wire}: integers big-endian and fixed width ({@code u8}, {@code i32},
 * {@code i64}); a byte string is its {@code i32} length then its bytes; an absent byte string is length
 * {@code -1}; a digest is its 32 bytes, no length; a list is its {@code i32} count then its items. Structures
 * that are hashed or signed start with an 8-byte ASCII tag naming them and their version ({@code EHR-BLK1},
 * {@code EHR-COM1}, ...). Decoding checks every bound and fails with
 * {@link org.ehrledger.consensus.codec.MalformedMessageException}.</li>
 * <li>{@link org.ehrledger.consensus.codec.Digest}: SHA-256 (FIPS 180-4).</li>
 * <li>{@link org.ehrledger.consensus.codec.MerkleTree}: the Merkle tree of RFC 9162 (Certificate Transparency
 * 2.0) over SHA-256: leaf hash {@code H(0x00 || leaf)}, node hash {@code H(0x01 || left || right)}, the root of
 * no leaves {@code H("")}.</li>
 * </ul>
 *
 * <p>The ledger's block format built on this codec is described in docs/LEDGER-FORMAT.md.
 */
package org.ehrledger.consensus.codec;
