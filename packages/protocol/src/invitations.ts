/** Wire bodies of the invitations ops. (Filled in by its feature.) */
export {};
