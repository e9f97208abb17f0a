package org.ehrledger.ejb.application.service;

/**
 * A transaction committed by the network and accepted by the contracts.
 *
 * @param transactionId SHA-256 of the signed transaction (hex)
 * @param height        block height
 * @param index         position of the transaction in the block
 * @param blockHash     hash of the block's header (hex), as this replica stores it
 */
public record Committed(String transactionId, long height, int index, String blockHash) {
}
