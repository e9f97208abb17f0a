/**
 * Immutable PBFT messages (Java records), encoded with the frozen codec of
 * {@link org.ehrledger.consensus.codec} (never with Java serialization): everything that is hashed or
 * signed is encoded here.
 */
package org.ehrledger.consensus.message;
