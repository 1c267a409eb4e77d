// Package password hashes user passwords and checks them against the
// Skillgate password policy.
//
// Hashing uses argon2id and stores the result as a PHC string such as
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// so that the cost parameters travel with every hash: they can be raised
// later without breaking existing logins, and NeedsRehash tells the login
// handler when a stored hash should be replaced with a stronger one.
//
// The policy follows NIST SP 800-63B rev. 4 for accounts protected by a
// password alone: a length floor of 15 characters, no composition rules
// ("one digit, one symbol"), and a check against commonly used passwords
// and words tied to the account. Its errors are worded for the person
// choosing the password and can be shown to them as they are.
//
// Passwords are normalized to Unicode NFKC before they are counted or
// hashed, so the same password typed on different keyboards or operating
// systems (for example a precomposed "é" versus "e" plus a combining accent)
// is accepted and verified the same way.
package password
