package audit

// LockKey is the chain's lock, for tests that hold it as a busy writer
// would.
const LockKey = lockKey
