/**
 * The stream processor's internals: its pipelines, runners and batcher, the stream state store
 * and changelog, the output records and committers, the client settings and the pipelines'
 * meters. Public only so that {@code io.nowcast.stream} can use them; nothing else may
 * (ArchitectureTest). Not thread-safe unless a class says otherwise: the processor's loop thread.
 */
package io.nowcast.stream.internal;
