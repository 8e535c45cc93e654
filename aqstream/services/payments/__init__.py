"""Payments: organizations' provider settings (settings.py), one provider interface with Stripe, YooKassa and bank
transfer behind it (providers.py, stripe_provider.py, yookassa.py), paying a pending order and settling what the
provider reports (payments.py), and refunds as records of their own (refunds.py). docs/architecture.md, "Payments"."""
