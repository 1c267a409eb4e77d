-- Each sign-off records how its signer re-authenticated (21 CFR 11.200: two components): password, password+totp or password+recovery code.

-- Empty for sign-offs made before this was recorded (the password alone).
-- Not part of the signature's hash: it says how the signer proved who
-- they were, not what they signed.
ALTER TABLE sign_offs ADD COLUMN auth_method TEXT NOT NULL DEFAULT '';
