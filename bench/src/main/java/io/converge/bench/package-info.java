/** JMH micro benchmarks of the CRDT library. */
package io.converge.bench;
