/**
 * Operator tools run from the command line: {@link org.ehrledger.consensus.tool.GenesisTool} creates a
 * new network's genesis directory ({@code ci/cluster.sh}, {@code ci/bench-consensus.sh} and
 * {@code ci/server-smoke.sh} call it); {@link org.ehrledger.consensus.tool.LinkProxies} puts one replica's links
 * behind {@link org.ehrledger.consensus.tool.LinkProxy} TCP proxies that delay, reset or stall them on demand
 * ({@code ci/cluster.sh} with {@code EHR_LINK_PROXY}; {@code RepairIT} uses the proxy directly).
 */
package org.ehrledger.consensus.tool;
