/* write(2) sizes of one command, by log2 slot. */
struct slot_key {
	unsigned int slot;
};
