/**
 * The clients admitted by a genesis directory, read from and written to its {@code clients.properties}
 * ({@link org.ehrledger.consensus.config.StaticClientDirectory}).
 */
package org.ehrledger.consensus.config;
