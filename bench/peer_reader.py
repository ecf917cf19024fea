#!/usr/bin/env python3
"""The peer of the swmq tail benchmark: a minimal Python grpcio reader (grpc.aio).

Reads every record of one topic from the start, all partitions at once (one stream per
partition on one channel), and stops as soon as it has received EXPECTED records (it is
told the count, so it never waits for a quiet stream). It only decodes and counts records:
no merge, no formatting. Prints one JSON line: {"records": N, "seconds": S, "rate": R}.

  peer_reader.py v2 ADDR NS TOPIC PARTITIONS EXPECTED   (SeaweedFS messaging 2.x: Subscribe)
  peer_reader.py mq ADDR NS TOPIC - EXPECTED [MAX_SECS] (SeaweedFS MQ 4.x: SubscribeMessage)

The stubs are generated from the project's proto/ into $SWMQ_BENCH_GEN/{v2,mq}. grpc.aio
was measured faster than the threaded synchronous API for this (about 2x), so the peer
uses it.
"""
import asyncio
import json
import os
import sys
import time
import uuid

import grpc

kind, addr, ns, topic, partitions, expected = sys.argv[1:7]
expected = int(expected)
# Optional: stop after this many seconds (4.48's SubscribeMessage stalls on repeated keys and
# stays open once caught up, so a peer reading a keyed topic may never reach EXPECTED).
max_secs = float(sys.argv[7]) if len(sys.argv) > 7 else None
sys.path.insert(0, os.path.join(os.environ["SWMQ_BENCH_GEN"], kind))

state = {"count": 0, "errors": []}


def got_one(done):
    state["count"] += 1
    if state["count"] >= expected:
        done.set()


async def v2_partition(stub, pb, p, done):
    call = stub.Subscribe()
    await call.write(pb.SubscriberMessage(init=pb.SubscriberMessage.InitMessage(
        namespace=ns, topic=topic, partition=p,
        startPosition=pb.SubscriberMessage.InitMessage.EARLIEST,
        subscriber_id="peer-" + uuid.uuid4().hex)))
    async for m in call:
        if m.HasField("data"):
            got_one(done)
            if done.is_set():
                break
    call.cancel()


async def mq_partition(stub, pb, spb, assignment, done):
    call = stub.SubscribeMessage()
    await call.write(pb.SubscribeMessageRequest(init=pb.SubscribeMessageRequest.InitMessage(
        consumer_group="peer-" + uuid.uuid4().hex, consumer_id="peer", client_id="peer",
        topic=spb.Topic(namespace=ns, name=topic),
        partition_offset=spb.PartitionOffset(partition=assignment.partition),
        offset_type=spb.RESET_TO_EARLIEST,
        sliding_window_size=1024)))
    acks = asyncio.Queue()

    async def ack_writer():
        # Ack every message (the broker's window and its per-key stall need them).
        while True:
            d = await acks.get()
            await call.write(pb.SubscribeMessageRequest(
                ack=pb.SubscribeMessageRequest.AckMessage(ts_ns=d.ts_ns, key=d.key)))

    writer = asyncio.create_task(ack_writer())
    try:
        async for m in call:
            if m.HasField("data"):
                acks.put_nowait(m.data)
                got_one(done)
                if done.is_set():
                    break
    finally:
        writer.cancel()
        call.cancel()


async def guarded(coro):
    try:
        await coro
    except (grpc.aio.AioRpcError, asyncio.CancelledError) as e:
        if not isinstance(e, asyncio.CancelledError):
            state["errors"].append(str(e)[:300])


async def main():
    channel = grpc.aio.insecure_channel(addr, options=[("grpc.max_receive_message_length", 64 << 20)])
    done = asyncio.Event()
    start = time.perf_counter()
    if kind == "v2":
        import messaging_pb2 as pb
        import messaging_pb2_grpc as pbg
        stub = pbg.SeaweedMessagingStub(channel)
        jobs = [v2_partition(stub, pb, p, done) for p in range(int(partitions))]
    else:
        import mq_broker_pb2 as pb
        import mq_broker_pb2_grpc as pbg
        import mq_schema_pb2 as spb
        stub = pbg.SeaweedMessagingStub(channel)
        look = await stub.LookupTopicBrokers(pb.LookupTopicBrokersRequest(
            topic=spb.Topic(namespace=ns, name=topic)))
        jobs = [mq_partition(stub, pb, spb, a, done) for a in look.broker_partition_assignments]
    tasks = [asyncio.create_task(guarded(j)) for j in jobs]
    finished = asyncio.create_task(done.wait())
    await asyncio.wait([finished, *tasks], timeout=max_secs, return_when=asyncio.FIRST_COMPLETED)
    while not done.is_set() and not all(t.done() for t in tasks):
        if max_secs is not None and time.perf_counter() - start >= max_secs:
            break
        await asyncio.wait([finished, *tasks], timeout=0.2, return_when=asyncio.FIRST_COMPLETED)
    secs = time.perf_counter() - start
    for t in tasks:
        t.cancel()
    finished.cancel()
    n = state["count"]
    print(json.dumps({"records": n, "seconds": round(secs, 3), "rate": round(n / secs),
                      "errors": state["errors"][:3]}))
    await channel.close()
    return 0 if n >= expected else 1


sys.exit(asyncio.run(main()))
