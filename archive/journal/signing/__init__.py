"""What makes a journal trustworthy beyond its hash chain: the device's Ed25519 signing key, the
Merkle roots its checkpoints sign, trusting a chain by them (:mod:`~archive.journal.signing.trust`),
the checkpoint heads anchored outside the device (:mod:`~archive.journal.signing.anchor`) and the
portal's signed list of approved device keys (:mod:`~archive.journal.signing.key_list`).
"""
