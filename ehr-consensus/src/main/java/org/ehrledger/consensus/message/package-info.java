/**
 * Immutable PBFT messages (Java records) and their explicit big-endian binary encoding. Everything
 * that is hashed or signed is encoded here, never with Java serialization.
 */
package org.ehrledger.consensus.message;
