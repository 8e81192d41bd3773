"""The customer feedback loop: ratings, complaints, callbacks, audits, improvement actions (FB, CB)."""
