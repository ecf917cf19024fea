#!/usr/bin/env python3
"""The peer of the swmq tail benchmark: a minimal Python grpcio reader.

Reads every record of one topic from the start, all partitions at once (one thread per
partition), and stops as soon as it has received EXPECTED records (it is told the count,
so it never waits for a quiet stream). It only decodes and counts records; it does not
merge or format them. Prints one JSON line: {"records": N, "seconds": S, "rate": R}.

  peer_reader.py v2 ADDR NS TOPIC PARTITIONS EXPECTED   (SeaweedFS messaging 2.x: Subscribe)
  peer_reader.py mq ADDR NS TOPIC - EXPECTED            (SeaweedFS MQ 4.x: SubscribeMessage)

The stubs are generated from the project's proto/ into $SWMQ_BENCH_GEN/{v2,mq}.
"""
import json
import os
import queue
import sys
import threading
import time
import uuid

import grpc

kind, addr, ns, topic, partitions, expected = sys.argv[1:7]
expected = int(expected)
gen = os.environ["SWMQ_BENCH_GEN"]
sys.path.insert(0, os.path.join(gen, kind))

lock = threading.Lock()
count = 0
done = threading.Event()
errors = []


def add(n):
    global count
    with lock:
        count += n
        if count >= expected:
            done.set()


def v2_partition(stub, pb, p):
    init = pb.SubscriberMessage(
        init=pb.SubscriberMessage.InitMessage(
            namespace=ns, topic=topic, partition=p,
            startPosition=pb.SubscriberMessage.InitMessage.EARLIEST,
            subscriber_id="peer-" + uuid.uuid4().hex))
    reqs = queue.Queue()
    reqs.put(init)

    def requests():
        while True:
            r = reqs.get()
            if r is None:
                return
            yield r

    call = stub.Subscribe(requests())
    try:
        for m in call:
            if m.HasField("data"):
                add(1)
            if done.is_set():
                break
    except grpc.RpcError as e:
        if not done.is_set():
            errors.append(str(e))
    finally:
        reqs.put(None)
        call.cancel()


def mq_partition(stub, pb, spb, assignment):
    reqs = queue.Queue()
    reqs.put(pb.SubscribeMessageRequest(init=pb.SubscribeMessageRequest.InitMessage(
        consumer_group="peer-" + uuid.uuid4().hex,
        consumer_id="peer", client_id="peer",
        topic=spb.Topic(namespace=ns, name=topic),
        partition_offset=spb.PartitionOffset(partition=assignment.partition),
        offset_type=spb.RESET_TO_EARLIEST,
        sliding_window_size=1024)))

    def requests():
        while True:
            r = reqs.get()
            if r is None:
                return
            yield r

    call = stub.SubscribeMessage(requests())
    try:
        for m in call:
            if m.HasField("data"):
                d = m.data
                # Ack every message: without acks the broker stalls repeated keys.
                reqs.put(pb.SubscribeMessageRequest(
                    ack=pb.SubscribeMessageRequest.AckMessage(ts_ns=d.ts_ns, key=d.key)))
                add(1)
            if done.is_set():
                break
    except grpc.RpcError as e:
        if not done.is_set():
            errors.append(str(e))
    finally:
        reqs.put(None)
        call.cancel()


def main():
    opts = [("grpc.max_receive_message_length", 64 << 20)]
    channel = grpc.insecure_channel(addr, options=opts)
    start = time.perf_counter()
    threads = []
    if kind == "v2":
        import messaging_pb2 as pb
        import messaging_pb2_grpc as pbg
        stub = pbg.SeaweedMessagingStub(channel)
        for p in range(int(partitions)):
            threads.append(threading.Thread(target=v2_partition, args=(stub, pb, p), daemon=True))
    else:
        import mq_broker_pb2 as pb
        import mq_broker_pb2_grpc as pbg
        import mq_schema_pb2 as spb
        stub = pbg.SeaweedMessagingStub(channel)
        look = stub.LookupTopicBrokers(pb.LookupTopicBrokersRequest(
            topic=spb.Topic(namespace=ns, name=topic)))
        for a in look.broker_partition_assignments:
            threads.append(threading.Thread(target=mq_partition, args=(stub, pb, spb, a), daemon=True))
    for t in threads:
        t.start()
    while not done.wait(0.2):
        if errors or not any(t.is_alive() for t in threads):
            break
    secs = time.perf_counter() - start
    print(json.dumps({"records": count, "seconds": round(secs, 3),
                      "rate": round(count / secs), "errors": errors[:3]}))
    sys.exit(0 if count >= expected else 1)


main()
