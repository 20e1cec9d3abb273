/** Wire bodies of the user-attrs ops. (Filled in by its feature.) */
export {};
