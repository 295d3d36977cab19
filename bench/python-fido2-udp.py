#!/usr/bin/env python3
"""python-fido2's raw CTAP2 calls against a security key served over UDP, timed in its own CPU.

The comparison point of `npm run bench:ctap` (issue 19): the same operations our client performs,
made with Debian's python3-fido2 (fido2.hid.CtapHidDevice over a CtapHidConnection that carries
one 64-byte CTAPHID report per UDP datagram, as the Solo/OpenSK/Trezor emulators do, then
fido2.ctap2.Ctap2 and ClientPin with PIN/UV auth protocol 1). Each call is timed with
time.process_time_ns(): this process's CPU, so the key's work (another process) is not in it.

    python3 bench/python-fido2-udp.py --device 127.0.0.1:8111 --pin 135790 [--rounds 300 --warmup 50]

Prints one JSON object: the library's version, and per operation the CPU of every round in ns.
With --check it runs one register + authenticate, verifies both signatures and prints the result.
"""
import argparse
import hashlib
import json
import os
import socket
import sys
import time

import fido2
from fido2.attestation import Attestation
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocolV1
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64


class UdpCtapHidConnection(CtapHidConnection):
    """One CTAPHID report per datagram; only the key's own datagrams are taken."""

    def __init__(self, device, timeout=5.0):
        self.device = device
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(timeout)

    def write_packet(self, data):
        if len(data) != REPORT_SIZE:
            raise ValueError("a report is %d bytes" % REPORT_SIZE)
        self.sock.sendto(data, self.device)

    def read_packet(self):
        while True:
            data, sender = self.sock.recvfrom(2 * REPORT_SIZE)
            if sender == self.device and len(data) == REPORT_SIZE:
                return data

    def close(self):
        self.sock.close()


def open_key(device):
    descriptor = HidDescriptor("udp:%s:%d" % device, 0, 0, REPORT_SIZE, REPORT_SIZE)
    dev = CtapHidDevice(descriptor, UdpCtapHidConnection(device))
    return dev, Ctap2(dev)


RP = {"id": "localhost", "name": "AgentDesk"}
ES256 = [{"type": "public-key", "alg": -7}]


def client_data_hash(kind, challenge):
    # The hash a WebAuthn client would send; python-fido2's raw calls take it ready-made.
    return hashlib.sha256(json.dumps({"type": kind, "challenge": challenge.hex(), "origin": "http://localhost:3000"}).encode()).digest()


def one_round(device, pin, n, timed):
    """One round of every operation; timed(name, fn) runs fn and records its CPU."""
    user = {"id": os.urandom(16), "name": "agent%d@example.com" % n, "displayName": "Agent %d" % n}
    dev, ctap = timed("open + getInfo", lambda: open_key(device))
    cdh = client_data_hash("webauthn.create", os.urandom(32))
    att = timed("makeCredential", lambda: ctap.make_credential(cdh, RP, user, ES256))
    cred = att.auth_data.credential_data
    allow = [{"type": "public-key", "id": cred.credential_id}]
    cdh_get = client_data_hash("webauthn.get", os.urandom(32))
    assertion = timed("getAssertion", lambda: ctap.get_assertion(RP["id"], cdh_get, allow))
    # PIN/UV auth protocol 1: key agreement (a fresh ECDH key), then the token, then the request.
    client_pin = ClientPin(ctap, PinProtocolV1())
    token = timed("getPinToken (protocol 1)", lambda: client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
    cdh_pin = client_data_hash("webauthn.create", os.urandom(32))
    att_pin = timed("makeCredential + pinUvAuthParam", lambda: ctap.make_credential(cdh_pin, RP, user, ES256, pin_uv_param=client_pin.protocol.authenticate(token, cdh_pin), pin_uv_protocol=1))
    token_get = timed("getPinToken (protocol 1)", lambda: client_pin.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, RP["id"]))
    cdh_get_pin = client_data_hash("webauthn.get", os.urandom(32))
    timed("getAssertion + pinUvAuthParam", lambda: ctap.get_assertion(RP["id"], cdh_get_pin, allow, pin_uv_param=client_pin.protocol.authenticate(token_get, cdh_get_pin), pin_uv_protocol=1))
    timed("close", dev.close)
    return cdh, att, cdh_get, assertion, cdh_pin, att_pin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="127.0.0.1:8111")
    parser.add_argument("--pin", default="135790")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    host, port = args.device.rsplit(":", 1)
    device = (host, int(port))

    if args.check:
        def untimed(_name, fn):
            return fn()
        cdh, att, cdh_get, assertion, cdh_pin, att_pin = one_round(device, args.pin, 0, untimed)
        # The attestation signatures (packed, over authData || clientDataHash), then the
        # assertion's with the credential's public key: verify() raises on a bad one.
        for obj, hash_ in ((att, cdh), (att_pin, cdh_pin)):
            Attestation.for_type(obj.fmt)().verify(obj.att_statement, obj.auth_data, hash_)
        assertion.verify(cdh_get, att.auth_data.credential_data.public_key)
        print(json.dumps({"fido2": fido2.__version__, "registered": True, "authenticated": True,
                          "uv": att_pin.auth_data.is_user_verified(), "credentialId": att.auth_data.credential_data.credential_id.hex()}))
        return

    samples = {}
    clock = time.process_time_ns

    def timed(name, fn):
        start = clock()
        value = fn()
        samples.setdefault(name, []).append(clock() - start)
        return value

    for n in range(args.warmup):
        one_round(device, args.pin, n, lambda _name, fn: fn())
    for n in range(args.rounds):
        one_round(device, args.pin, n, timed)
    print(json.dumps({"fido2": fido2.__version__, "python": sys.version.split()[0], "clock": "time.process_time_ns",
                      "rounds": args.rounds, "warmup": args.warmup, "samplesNs": samples}))


if __name__ == "__main__":
    main()
