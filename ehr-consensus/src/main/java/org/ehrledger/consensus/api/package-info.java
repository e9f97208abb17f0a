/**
 * What a host sees of the library. The small interfaces the protocol core asks of its host, in the
 * manner of SmartBFT's {@code dependencies.go}: the replicated {@link org.ehrledger.consensus.api.Application},
 * the {@link org.ehrledger.consensus.api.Transport}, the durable {@link org.ehrledger.consensus.api.ConsensusLog}
 * and the {@link org.ehrledger.consensus.api.ClientDirectory} of keys allowed to submit requests; the
 * {@link org.ehrledger.consensus.api.Signer} and {@link org.ehrledger.consensus.api.Verifier} through which
 * messages are signed and checked (the library implements both from the genesis keys). The network's genesis
 * configuration ({@link org.ehrledger.consensus.api.ClusterConfig} of {@link org.ehrledger.consensus.api.ReplicaInfo})
 * and the tunables a host chooses ({@link org.ehrledger.consensus.api.ReplicaSettings},
 * {@link org.ehrledger.consensus.api.ClientSettings}, built by builders that reject values out of range). And
 * the values a host running a replica gets: the batches it executes ({@link org.ehrledger.consensus.api.OrderedBatch}
 * of {@link org.ehrledger.consensus.api.OrderedRequest}s) with the proofs a ledger keeps of them
 * ({@link org.ehrledger.consensus.api.RequestProof}, {@link org.ehrledger.consensus.api.BatchInclusion},
 * {@link org.ehrledger.consensus.api.SignedCommit}, checked by {@link org.ehrledger.consensus.api.CommitCertificate};
 * their bytes are part of the frozen chain format), the replica's
 * {@link org.ehrledger.consensus.api.ReplicaStatus} and {@link org.ehrledger.consensus.api.LinkStatus}, the exceptions a submission fails with, and the
 * {@link org.ehrledger.consensus.api.PeerTls} for the host's own links between replicas. A
 * replica is built and run by {@code org.ehrledger.consensus.node}, which depends on this package, never the
 * other way round.
 */
package org.ehrledger.consensus.api;
