//! SQL of item accesses and invitations (spec §6.5, §9.2, §9.3).
